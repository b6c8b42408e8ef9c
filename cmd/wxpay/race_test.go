//go:build race

package main

// The command the tests run is built with -race too.
func init() { buildFlags = append(buildFlags, "-race") }
