package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Rand returns a generator determined by the server's seed and scope, so
// each dataset ("hubspot/contacts", "github/octo/hello/issues") is
// reproducible on its own, whatever else was generated before it.
func (s *Server) Rand(scope string) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.Seed()), Hash(scope)))
}

// Hash is a stable 64-bit hash of parts, for data generated lazily per
// index (record i of a million needs no records before it).
func Hash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// ItemRand returns a generator for item i of a lazily generated dataset.
func (s *Server) ItemRand(scope string, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.Seed())^Hash(scope), uint64(i)))
}
