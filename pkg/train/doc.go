// Package train trains a models.Model on a device: optimizers that run as
// device kernels (SGD with momentum, Adam, AdamW), learning-rate schedules,
// the epoch loop with evaluation, a run directory (resolved config, metrics
// as JSON lines and CSV, a log, loss and accuracy plots), atomic
// safetensors checkpoints, and resumption that continues a run exactly.
package train
