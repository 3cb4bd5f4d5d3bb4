// Package ntk measures the empirical neural tangent kernel (NTK) of networks
// at initialisation and the statistics that collegial-ensemble analysis needs.
//
// The empirical NTK of a scalar output f is K(x, x') = Σ_θ ∂f(x)/∂θ·∂f(x')/∂θ,
// computed here from per-sample gradients (Gram). Over random initialisations
// (MonteCarlo) it is a random variable whose normalised variance
// V = Var(K)/E[K]² is scale invariant, so a collegial ensemble of m members
// has V_CE(m, n) = V_1(n)/m. Summarize estimates V with bootstrap confidence
// intervals; Fit fits finite-width laws (a/n, a/n + b/n², exp(c/n) − 1,
// a·n^−p) and compares them by weighted SSE and AIC.
//
// Everything is a plain function over plain values: kernels are []float64,
// Monte-Carlo samples are rows of kernels, fits are structs.
package ntk
