package controller

import "sync"

// passWorkers is how many tasks, or services, a pass works on at once.
// Every step that changes something commits, and a commit waits for the
// disk: one after another, a pass over a hundred deployments spent most
// of its time in fsync. Steps that run together share their commits
// (state.Batch); each task's or service's own steps stay in order.
const passWorkers = 32

// forEach calls fn for each item on up to passWorkers goroutines and
// returns when all calls have.
func forEach[T any](items []T, fn func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range min(passWorkers, len(items)) {
		wg.Go(func() {
			for it := range ch {
				fn(it)
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}
