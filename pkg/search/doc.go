// Package search chooses the number of members m and the width n of a
// collegial ensemble by the primal or the dual problem of Littwin et al.:
//
//   - primal: minimise V_CE(m, n) = V_1(n)/m subject to P(m, n) ≤ P0;
//   - dual: minimise P(m, n) subject to V_CE(m, n) ≤ V0,
//
// over an integer grid of (m, n), where P is the exact parameter count of the
// real architecture and V_1 the measured normalised NTK variance of one
// member-width network. P0 and V0 come from a baseline configuration named
// "CxWd" (cardinality C = m, width per group w = n).
//
// Functions take plain values (a Problem of two functions and a grid) and
// return ranked Points, so the search can be run without the CLI.
package search
