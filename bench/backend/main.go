// Command backend is the upstream of the load balancer benchmark: a
// minimal HTTP server answering every request with a short body, on each
// address given as an argument.
package main

import (
	"log"
	"net/http"
	"os"
	"sync"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: backend ADDR...")
	}
	body := []byte("hello from the benchmark backend\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	var wg sync.WaitGroup
	for _, addr := range os.Args[1:] {
		wg.Go(func() { log.Fatal(http.ListenAndServe(addr, h)) })
	}
	wg.Wait()
}
