package query

import (
	"context"
	"sync"
)

// ordered runs produce(w, i) for i in [0, n) on up to workers goroutines,
// w in [0, workers) naming the goroutine (for per-worker scratch state), and
// calls consume(i, result) on the calling goroutine in increasing i, so that
// whatever consume folds together is folded in the same order for any
// number of workers. At most 2*workers results wait to be consumed, which
// bounds the memory held by results in flight. The first error (or the
// context's) stops the run and is returned.
func ordered[T any](ctx context.Context, n, workers int, produce func(w, i int) (T, error), consume func(i int, v T) error) error {
	if n == 0 {
		return nil
	}
	workers = max(1, min(workers, n))
	if workers == 1 {
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := produce(0, i)
			if err != nil {
				return err
			}
			if err := consume(i, v); err != nil {
				return err
			}
		}
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		v   T
		err error
	}
	window := 2 * workers
	// slots[i%window] receives the result of i. tokens limits how far ahead
	// of the consumer the producers may run.
	slots := make([]chan result, window)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	tokens := make(chan struct{}, window)
	next := make(chan int)

	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for i := range next {
				v, err := produce(w, i)
				slots[i%window] <- result{v, err}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	var err error
	for i := 0; i < n && err == nil; i++ {
		select {
		case r := <-slots[i%window]:
			<-tokens
			if r.err != nil {
				err = r.err
			} else {
				err = consume(i, r.v)
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	// Stop dispatching; producers finish the items they hold, whose slots
	// have room, and exit when next is closed.
	cancel()
	wg.Wait()
	return err
}
