package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// SoftmaxCrossEntropy is the mean over the batch of −log softmax(logits)[label]
// for logits (B, K) and labels (B) holding class indices as floats; the
// result is a scalar. It is not differentiable with respect to labels, and
// a label outside [0, K) makes it fail when run.
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	const name = "SoftmaxCrossEntropy"
	if err := checkArgs(name, in("logits", logits, 2), in("labels", labels, 1)); err != nil {
		return nil, err
	}
	ls := logits.Shape()
	if labels.Shape()[0] != ls[0] {
		return nil, fmt.Errorf("ops: %s: logits %v, labels %v: batch sizes differ", name, ls, labels.Shape())
	}
	return apply(softmaxCE{batch: ls[0], classes: ls[1]}, tensor.ScalarShape(), logits, labels)
}

// softmaxCE is the mean cross-entropy loss; inputs logits, labels.
type softmaxCE struct{ batch, classes int }

// softmaxCEGrad is dlogits = dloss·(softmax − onehot)/batch; inputs logits,
// labels, dloss.
type softmaxCEGrad softmaxCE

func (s softmaxCE) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.SoftmaxCrossEntropy(s.batch, s.classes, in[0], in[1], out)
}

func (s softmaxCEGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.SoftmaxCrossEntropyGrad(s.batch, s.classes, in[0], in[1], in[2], out)
}

func (s softmaxCE) diffWRT() []bool { return []bool{true, false} }

func (s softmaxCE) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{softmaxCEGrad(s), in[0].Shape(), G.Nodes{in[0], in[1], dy}}, gradient{})
}
