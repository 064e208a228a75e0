package syncs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// retentionEvery is how often Maintain applies records retention. A
// record kept days after no run saw it need not go the minute it passes
// the mark, and each pass reads every record of the connections it
// covers (last_seen_at is not indexed, so that unchanged saves stay
// cheap: see migration 00007), so hourly, not at every housekeeping tick.
// Each node keeps its own pace; purges of the same records by two nodes
// are serialised by the store and the second finds nothing.
const retentionEvery = time.Hour

// retentionDue reports whether Maintain should apply retention at now,
// and if so claims the pass.
func (s *Service) retentionDue(now time.Time) bool {
	last := s.retainedAt.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < retentionEvery {
		return false
	}
	return s.retainedAt.CompareAndSwap(last, now.UnixNano())
}

// PurgeUntouched applies records retention as of now: for each integration
// of the environments with settings.functions.records_retention_days, the
// records of its connections that no run has saved (changed or not) or
// deleted within that many days are purged, all models and variants, a
// chunk per transaction. It returns how many records went. An
// integration that fails is reported and the others still purged.
func (s *Service) PurgeUntouched(ctx context.Context, environmentIDs []string, now time.Time) (int, error) {
	if s.o.Integrations == nil {
		return 0, nil
	}
	total := 0
	var errs []error
	for _, env := range environmentIDs {
		integs, err := s.o.Integrations.List(ctx, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("integrations of environment %s: %w", env, err))
			continue
		}
		for _, in := range integs {
			f := in.Settings.Functions
			if f == nil || f.RecordsRetention <= 0 {
				continue
			}
			n, err := s.purgeIntegration(ctx, in, now.Add(-f.RecordsRetention))
			total += n
			if n > 0 {
				s.o.Logger.InfoContext(ctx, "purged records untouched past the integration's retention",
					"environment", env, "integration", in.UniqueKey, "retention_days", int(f.RecordsRetention/(24*time.Hour)), "records", n)
			}
			if err != nil {
				errs = append(errs, err)
			}
			if ctx.Err() != nil {
				return total, errors.Join(append(errs, ctx.Err())...)
			}
		}
	}
	return total, errors.Join(errs...)
}

// purgeIntegration purges the records of in's connections not seen since
// cut.
func (s *Service) purgeIntegration(ctx context.Context, in *store.Integration, cut time.Time) (int, error) {
	const pageSize = 1000
	total := 0
	for page := 0; ; page++ {
		conns, err := s.o.Connections.List(ctx, store.ConnectionFilter{EnvironmentID: in.EnvironmentID, IntegrationKey: in.UniqueKey, Limit: pageSize, Page: page})
		if err != nil {
			return total, fmt.Errorf("connections of %s: %w", in.UniqueKey, err)
		}
		for _, c := range conns {
			n, err := s.o.Records.Purge(ctx, store.RecordPurge{ConnectionRef: c.ID, UntouchedBefore: &cut}, 0)
			total += n
			if err != nil {
				return total, fmt.Errorf("retention of the records of %s/%s: %w", in.UniqueKey, c.ConnectionID, err)
			}
		}
		if len(conns) < pageSize {
			return total, nil
		}
	}
}
