package storetest

import (
	"context"
	"fmt"
	"testing"

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
	perRecord := func(b *testing.B, n int) {
		total := float64(n) * float64(b.N)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/record")
		b.ReportMetric(total/b.Elapsed().Seconds(), "records/s")
	}

	const batch = 1000
	b.Run("UpsertNew", func(b *testing.B) {
		sc := scope("UpsertNew")
		next := 0
		for b.Loop() {
			b.StopTimer()
			recs := make([]store.RecordWrite, batch)
			for i := range recs {
				recs[i] = contact(next, 1)
				next++
			}
			b.StartTimer()
			write(b, sc, recs, 1)
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
		for b.Loop() {
			b.StopTimer()
			version++
			recs := build()
			b.StartTimer()
			write(b, sc, recs, int64(version))
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
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(read), "ns/record")
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
