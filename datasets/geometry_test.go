package datasets

import "testing"

// TestGeometryOf: every dataset Lookup knows has its spec's geometry,
// ImageNet its fixed one, and an unknown name is an error naming it.
func TestGeometryOf(t *testing.T) {
	for _, name := range Names() {
		g, err := GeometryOf(name)
		spec, _ := Lookup(name)
		if err != nil || g != (Geometry{spec.Channels, spec.Height, spec.Width, spec.Classes}) || g.Classes < 10 {
			t.Errorf("%s: %+v, %v", name, g, err)
		}
	}
	if g, err := GeometryOf("ImageNet"); err != nil || g != (Geometry{3, 224, 224, 1000}) {
		t.Errorf("imagenet: %+v, %v", g, err)
	}
	if g, _ := GeometryOf("cifar100"); g.Classes != 100 {
		t.Errorf("cifar100 has %d classes", g.Classes)
	}
	if _, err := GeometryOf("svhn"); err == nil {
		t.Error("svhn: no error")
	}
}
