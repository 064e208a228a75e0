//go:build !race

package main

const benchUnderRace = false
