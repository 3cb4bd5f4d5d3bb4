package models

// ParamCount is the exact number of trainable parameters of the model that
// Build makes from s (weights, biases, BN weight and bias; not BN running
// statistics), computed in closed form without building a graph.
func ParamCount(s Spec) (int, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	switch s.Family {
	case MLP:
		return mlpCount(s), nil
	case ConvNet:
		return convNetCount(s), nil
	case ResNeXt29:
		return resnextCount(s, 3, resnext29Stages(s)), nil
	}
	return resnextCount(s, 7, resnextImageNetStages(s)), nil
}

// mlpCount: dense first layer d→m·n, L−1 block-diagonal n→n layers, and m
// readouts n→classes, all with biases.
func mlpCount(s Spec) int {
	m, n, k := s.Members, s.Width, s.Classes
	return s.Input.Size()*m*n + m*n + (s.Depth-1)*m*(n*n+n) + m*(n*k+k)
}

// convNetCount: shared 3×3 stem C→m·n, L−1 grouped 3×3 convs (groups m),
// m readouts n→classes, all with biases.
func convNetCount(s Spec) int {
	m, n, k := s.Members, s.Width, s.Classes
	stem := s.Input.Channels*9*m*n + m*n
	return stem + (s.Depth-1)*(m*n*n*9+m*n) + m*(n*k+k)
}

// bottleneckCount is a ResNeXt bottleneck in→D (1×1), D→D (3×3, groups C),
// D→out (1×1), each conv without bias and followed by BN, plus a 1×1 conv
// + BN projection shortcut when project.
func bottleneckCount(in, d, groups, out int, project bool) int {
	p := in*d + 2*d + d*(d/groups)*9 + 2*d + d*out + 2*out
	if project {
		p += in*out + 2*out
	}
	return p
}

// resnextCount is a ResNeXt: a k×k stem convolution to 64 channels + BN,
// the bottleneck stages (a projection shortcut wherever the shape changes),
// and a linear classifier with bias. The CIFAR ResNeXt-29 has a 3×3 stem;
// torchvision's ResNeXt-50/101 a 7×7 one followed by a max-pool, which has
// no parameters.
func resnextCount(s Spec, stemKernel int, stages []stage) int {
	p := s.Input.Channels*stemKernel*stemKernel*64 + 2*64
	in := 64
	for _, st := range stages {
		for b := range st.blocks {
			p += bottleneckCount(in, st.d, s.Members, st.out, b == 0 && (st.stride != 1 || in != st.out))
			in = st.out
		}
	}
	return p + in*s.Classes + s.Classes
}

// stage is one ResNeXt stage: its number of bottlenecks, the grouped width
// D, the output channels and the first block's stride.
type stage struct {
	blocks, d, out, stride int
}

// resnext29Stages: three stages of (depth−2)/9 bottlenecks with outputs
// 64·widen·{1, 2, 4} and D = C·w·{1, 2, 4}.
func resnext29Stages(s Spec) []stage {
	blocks := (s.Depth - 2) / 9
	st := make([]stage, 3)
	for i := range st {
		f := 1 << i
		st[i] = stage{blocks: blocks, d: s.Members * s.Width * f, out: 64 * s.widen() * f, stride: min(f, 2)}
	}
	return st
}

// resnextImageNetStages: torchvision's four stages with planes 64·2^i,
// D = C·⌊planes·w/64⌋ and outputs 4·planes.
func resnextImageNetStages(s Spec) []stage {
	blocks := imagenetBlocks[s.Family]
	st := make([]stage, 4)
	for i := range st {
		planes := 64 << i
		st[i] = stage{blocks: blocks[i], d: s.Members * (planes * s.Width / 64), out: 4 * planes, stride: min(1<<i, 2)}
	}
	return st
}
