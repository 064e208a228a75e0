package storetest

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/store"
)

// BenchmarkRecords measures the records cache on s: saving batches
// (records/s, the sync's write path) and reading pages back (GET
// /records' read path). The dialect packages run it on their backend.
func BenchmarkRecords(b *testing.B, s store.Store) {
	ctx := context.Background()
	env := &store.Environment{Name: "bench", SecretKey: uuid.NewString()}
	if err := s.Environments().Create(ctx, env); err != nil {
		b.Fatal(err)
	}
	in := &store.Integration{EnvironmentID: env.ID, UniqueKey: "hubspot", Provider: "hubspot"}
	if err := s.Integrations().Create(ctx, in); err != nil {
		b.Fatal(err)
	}
	conn := &store.Connection{IntegrationID: in.ID, ConnectionID: "bench", Credentials: store.Credentials{Type: "API_KEY", APIKey: "k"}}
	if err := s.Connections().Create(ctx, conn); err != nil {
		b.Fatal(err)
	}
	scope := func(model string) store.RecordScope {
		return store.RecordScope{EnvironmentID: env.ID, ConnectionRef: conn.ID, Model: model, Variant: store.DefaultVariant}
	}
	// A HubSpot contact as a sync saves it: about 600 bytes of JSON.
	contact := func(i, version int) store.RecordWrite {
		return rec(fmt.Sprintf("%012d", i), fmt.Sprintf(`{"id":"%012d","email":"contact%d@example.com","firstName":"First%d",`+
			`"lastName":"Last%d","phone":"+1 555 %07d","company":"Company %d","jobTitle":"Engineer","lifecycleStage":"lead",`+
			`"createdAt":"2024-01-02T03:04:05.000Z","updatedAt":"2024-06-07T08:09:10.000Z","version":%d,`+
			`"address":{"street":"%d Main Street","city":"Springfield","zip":"%05d","country":"US"},`+
			`"tags":["alpha","beta","gamma"],"notes":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."}`,
			i, i, i, i, i, i%1000, version, i%100, i%100000))
	}
	write := func(b *testing.B, sc store.RecordScope, recs []store.RecordWrite, generation int64) {
		err := s.Records().Write(ctx, func(tx store.RecordTx) error {
			_, err := tx.Upsert(ctx, sc, recs, generation)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// Besides wall time, the process's CPU time per record: on a shared
	// machine it is what stays comparable (on PostgreSQL it leaves out the
	// server's share).
	var cpuStart time.Duration
	startCPU := func() { cpuStart = cpuTime() }
	report := func(b *testing.B, total float64) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/record")
		b.ReportMetric(total/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64((cpuTime()-cpuStart).Nanoseconds())/total, "cpu-ns/record")
	}
	perRecord := func(b *testing.B, n int) { report(b, float64(n)*float64(b.N)) }

	const batch = 1000
	b.Run("UpsertNew", func(b *testing.B) {
		sc := scope("UpsertNew")
		batches := make([][]store.RecordWrite, b.N)
		for n := range batches {
			batches[n] = make([]store.RecordWrite, batch)
			for i := range batch {
				batches[n][i] = contact(n*batch+i, 1)
			}
		}
		b.ResetTimer()
		startCPU()
		for n := range b.N {
			write(b, sc, batches[n], 1)
		}
		perRecord(b, batch)
	})
	b.Run("UpsertChanged", func(b *testing.B) {
		sc := scope("UpsertChanged")
		version := 1
		build := func() []store.RecordWrite {
			recs := make([]store.RecordWrite, batch)
			for i := range recs {
				recs[i] = contact(i, version)
			}
			return recs
		}
		write(b, sc, build(), 1)
		batches := make([][]store.RecordWrite, b.N)
		for n := range batches {
			version++
			batches[n] = build()
		}
		b.ResetTimer()
		startCPU()
		for n := range b.N {
			write(b, sc, batches[n], int64(n+2))
		}
		perRecord(b, batch)
	})
	b.Run("UpsertUnchanged", func(b *testing.B) {
		sc := scope("UpsertUnchanged")
		recs := make([]store.RecordWrite, batch)
		for i := range recs {
			recs[i] = contact(i, 1)
		}
		write(b, sc, recs, 1)
		generation := int64(1)
		startCPU()
		for b.Loop() {
			generation++
			write(b, sc, recs, generation)
		}
		perRecord(b, batch)
	})
	for _, limit := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("List%d", limit), func(b *testing.B) {
			const stored = 50000
			sc := scope(fmt.Sprintf("List%d", limit))
			for start := 0; start < stored; start += 5000 {
				recs := make([]store.RecordWrite, 5000)
				for i := range recs {
					recs[i] = contact(start+i, 1)
				}
				write(b, sc, recs, 1)
			}
			var after int64
			read := 0
			startCPU()
			for b.Loop() {
				page, err := s.Records().List(ctx, store.RecordQuery{Scope: sc, After: after, Limit: limit})
				if err != nil {
					b.Fatal(err)
				}
				read += len(page)
				after = 0
				if len(page) == limit {
					after = page[len(page)-1].Cursor
				}
			}
			report(b, float64(read))
		})
	}
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
