package store

import (
	"encoding/json"
	"errors"
	"fmt"
)

// GetJSON decodes the value under key in table into v. It returns
// ErrNotFound when the key is missing.
func GetJSON(tx Tx, table, key string, v any) error {
	b, err := tx.Get(table, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s/%s: %w", table, key, err)
	}
	return nil
}

// PutJSON encodes v as JSON and stores it under key in table.
func PutJSON(tx Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", table, key, err)
	}
	return tx.Put(table, key, b)
}

// ScanJSON decodes each value under prefix (after `after`) into a new T
// and calls fn with its key, in key order. fn may return ErrStop.
func ScanJSON[T any](tx Tx, table, prefix, after string, fn func(key string, v *T) error) error {
	return tx.Scan(table, prefix, after, func(k string, b []byte) error {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("decode %s/%s: %w", table, k, err)
		}
		return fn(k, v)
	})
}

// Exists reports whether key is present in table.
func Exists(tx Tx, table, key string) (bool, error) {
	_, err := tx.Get(table, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
