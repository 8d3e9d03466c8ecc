package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cutover/cutover/internal/store"
)

// Keys go to the server as []byte, never as string: pgx would send a
// string as bytea's text form, in which a backslash is an escape.
const (
	sqlGet    = `SELECT value FROM cutover_kv WHERE tbl = $1 AND key = $2`
	sqlPut    = `INSERT INTO cutover_kv (tbl, key, value) VALUES ($1, $2, $3) ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value`
	sqlDelete = `DELETE FROM cutover_kv WHERE tbl = $1 AND key = $2`
	sqlNext   = `INSERT INTO cutover_sequences AS s (tbl, value) VALUES ($1, 1) ON CONFLICT (tbl) DO UPDATE SET value = s.value + 1 RETURNING value`
)

// Scan reads a table in pages, each a range of the primary key's index
// after the last key of the page before: memory stays bounded by a page
// for any table size. Pages grow from firstPage to maxPage, so that a
// scan stopped after a few keys reads few rows.
const (
	firstPage = 128
	maxPage   = 1024
)

// sqlScan[inclusive][bounded] is a page's query: its lower bound $2 is
// inclusive (the prefix itself) or exclusive (after, then the last key
// read); bounded scans stop below $4, the first key past the prefix.
var sqlScan = func() (q [2][2]string) {
	for i, lower := range []string{">", ">="} {
		for j, upper := range []string{"", " AND key < $4"} {
			q[i][j] = `SELECT key, value FROM cutover_kv WHERE tbl = $1 AND key ` + lower + ` $2` + upper + ` ORDER BY key LIMIT $3`
		}
	}
	return q
}()

// tx is a store.Tx on a PostgreSQL transaction. Its statements use the
// context of the View or Update that made it.
type tx struct {
	ctx      context.Context
	pg       pgx.Tx
	readOnly bool
}

// Get implements store.Tx.
func (t *tx) Get(table, key string) ([]byte, error) {
	var v []byte
	err := t.pg.QueryRow(t.ctx, sqlGet, table, []byte(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, wrapError("get "+quoteKey(table, key), err)
	}
	return v, nil
}

// Put implements store.Tx. pgx encodes value before Exec returns, so the
// caller may reuse it.
func (t *tx) Put(table, key string, value []byte) error {
	if t.readOnly {
		return store.ErrReadOnly
	}
	if value == nil {
		value = []byte{} // nil would be NULL
	}
	if _, err := t.pg.Exec(t.ctx, sqlPut, table, []byte(key), value); err != nil {
		return wrapError("put "+quoteKey(table, key), err)
	}
	return nil
}

// Delete implements store.Tx.
func (t *tx) Delete(table, key string) error {
	if t.readOnly {
		return store.ErrReadOnly
	}
	if _, err := t.pg.Exec(t.ctx, sqlDelete, table, []byte(key)); err != nil {
		return wrapError("delete "+quoteKey(table, key), err)
	}
	return nil
}

// NextSequence implements store.Tx. The sequence's row stays locked
// until the transaction ends, which the write lock makes moot.
func (t *tx) NextSequence(table string) (uint64, error) {
	if t.readOnly {
		return 0, store.ErrReadOnly
	}
	var n int64
	if err := t.pg.QueryRow(t.ctx, sqlNext, table).Scan(&n); err != nil {
		return 0, wrapError(fmt.Sprintf("next sequence of %s", table), err)
	}
	return uint64(n), nil
}

// Scan implements store.Tx. Its pages are separate statements: in a View
// they share the transaction's snapshot; in an Update no other write
// can commit between them (the write lock), and fn may not write to the
// table scanned.
func (t *tx) Scan(table, prefix, after string, fn func(string, []byte) error) error {
	from, inclusive := []byte(prefix), true
	if after != "" && after >= prefix {
		from, inclusive = []byte(after), false
	}
	end := prefixEnd(prefix)
	var p page
	for limit := firstPage; ; limit = min(2*limit, maxPage) {
		if err := t.readPage(&p, table, from, inclusive, end, limit); err != nil {
			return wrapError(fmt.Sprintf("scan %s from %q", table, from), err)
		}
		for i, k := range p.keys {
			if err := fn(k, p.values[i]); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
		}
		if len(p.keys) < limit {
			return nil
		}
		from, inclusive = []byte(p.keys[len(p.keys)-1]), false
	}
}

// page is one page of a scan. Its keys share one string (copied from
// kbuf); its values are copied into chunks that the next page reuses,
// since fn may not keep them: a scan allocates about its largest page,
// once.
type page struct {
	keys   []string
	values [][]byte
	kbuf   []byte
	kends  []int
	chunks [][]byte
	chunk  int // the chunk being filled
}

// chunkSize is the size of a page's value chunks; a larger value gets
// an allocation of its own.
const chunkSize = 64 << 10

// readPage reads up to limit rows of table from `from` on, and below end
// unless end is nil, into p.
func (t *tx) readPage(p *page, table string, from []byte, inclusive bool, end []byte, limit int) error {
	args := []any{table, from, limit}
	bounded := 0
	if end != nil {
		args, bounded = append(args, end), 1
	}
	in := 0
	if inclusive {
		in = 1
	}
	rows, err := t.pg.Query(t.ctx, sqlScan[in][bounded], args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	p.reset()
	// DriverBytes points into pgx's read buffer, valid until Next; they
	// are declared once, so that passing them to Scan allocates once.
	var k, v pgtype.DriverBytes
	dst := []any{&k, &v}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		p.kbuf = append(p.kbuf, k...)
		p.kends = append(p.kends, len(p.kbuf))
		p.values = append(p.values, p.copyValue(v))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	all := string(p.kbuf)
	k0 := 0
	for _, e := range p.kends {
		p.keys = append(p.keys, all[k0:e])
		k0 = e
	}
	return nil
}

// reset empties p for the next page, keeping its buffers.
func (p *page) reset() {
	p.keys, p.values, p.kbuf, p.kends = p.keys[:0], p.values[:0], p.kbuf[:0], p.kends[:0]
	p.chunk = 0
	if len(p.chunks) > 0 {
		p.chunks[0] = p.chunks[0][:0]
	}
}

// copyValue copies v into p's chunks and returns the copy, capped so
// that appending to it cannot overwrite the next value.
func (p *page) copyValue(v []byte) []byte {
	if len(v) > chunkSize {
		return bytes.Clone(v)
	}
	for {
		if p.chunk == len(p.chunks) {
			p.chunks = append(p.chunks, make([]byte, 0, chunkSize))
		}
		c := p.chunks[p.chunk]
		if n := len(c); n+len(v) <= cap(c) {
			c = append(c, v...)
			p.chunks[p.chunk] = c
			return c[n:len(c):len(c)]
		}
		p.chunk++
		if p.chunk < len(p.chunks) {
			p.chunks[p.chunk] = p.chunks[p.chunk][:0]
		}
	}
}

// prefixEnd returns the least key greater than every key that starts
// with prefix, or nil when there is none (prefix is empty or all 0xff).
func prefixEnd(prefix string) []byte {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}
