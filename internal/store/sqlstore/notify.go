package sqlstore

import (
	"context"
	"sync"
)

// ProcessNotifier is a store.Notifier within one process: enough when the
// process owns the database, as with SQLite.
type ProcessNotifier struct {
	mu        sync.Mutex
	listeners map[string]map[*func(string)]struct{}
}

// NewProcessNotifier returns an empty ProcessNotifier.
func NewProcessNotifier() *ProcessNotifier {
	return &ProcessNotifier{listeners: map[string]map[*func(string)]struct{}{}}
}

// Notify implements store.Notifier.
func (n *ProcessNotifier) Notify(_ context.Context, channel, payload string) error {
	n.mu.Lock()
	handlers := make([]func(string), 0, len(n.listeners[channel]))
	for h := range n.listeners[channel] {
		handlers = append(handlers, *h)
	}
	n.mu.Unlock()
	for _, h := range handlers {
		h(payload)
	}
	return nil
}

// Listen implements store.Notifier.
func (n *ProcessNotifier) Listen(ctx context.Context, channel string, handle func(string)) error {
	key := &handle
	n.mu.Lock()
	if n.listeners[channel] == nil {
		n.listeners[channel] = map[*func(string)]struct{}{}
	}
	n.listeners[channel][key] = struct{}{}
	n.mu.Unlock()
	<-ctx.Done()
	n.mu.Lock()
	delete(n.listeners[channel], key)
	if len(n.listeners[channel]) == 0 {
		delete(n.listeners, channel)
	}
	n.mu.Unlock()
	return ctx.Err()
}
