// Package layers holds the test that the module's imports point down only:
// the layering docs/ARCHITECTURE.md draws, from cmd at the top to internal
// at the bottom. It has no code of its own.
package layers
