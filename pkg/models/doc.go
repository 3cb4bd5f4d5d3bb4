// Package models turns a collegial-ensemble Spec into one gorgonia graph and
// counts its parameters exactly.
//
// Families: an MLP-CE (dense first layer on the shared input, block-diagonal
// hidden layers, per-member readouts averaged by MemberMean), a ConvNet-CE
// (the same with a shared stem convolution and grouped 3×3 convolutions),
// and ResNeXt for CIFAR (ResNeXt-29) and ImageNet (ResNeXt-50/101 in
// torchvision's layout), whose bottlenecks are CEs with cardinality m and
// group width n. ParamCount is a closed form of the spec; the tests check it
// against published counts and against the parameters Build creates.
package models
