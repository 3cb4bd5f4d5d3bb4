// Package datasets reads the image classification datasets Collegium trains
// on (MNIST and Fashion-MNIST in IDX format, CIFAR-10 and CIFAR-100 in their
// binary format), finds them on disk or in the Go module cache without a
// manual download, fetches them from their official sources, and serves them
// as seeded, reproducible, augmented batches prepared in the background.
//
// Data flows one way: files → Dataset (float32 NCHW, normalised) → Loader →
// Batch. Nothing here knows about graphs or devices.
package datasets
