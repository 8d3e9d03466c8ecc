package cwapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// cborDec decodes request bodies: maps with text keys, at most 32 levels
// deep, timestamps (tags 0 and 1) as time.Time.
var cborDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DefaultMapType:  reflect.TypeFor[map[string]any](),
		MaxNestedLevels: 32,
		DupMapKey:       cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("cwapi: CBOR decoder options: %v", err))
	}
	return dm
}()

// cborEnc encodes answers: map keys sorted (deterministic output).
var cborEnc = func() cbor.EncMode {
	em, err := cbor.EncOptions{Sort: cbor.SortBytewiseLexical}.EncMode()
	if err != nil {
		panic(fmt.Sprintf("cwapi: CBOR encoder options: %v", err))
	}
	return em
}()

// cborToJSON turns an rpc-v2-cbor request body into the JSON form of the
// input, which the model validator and the generated types read: maps
// and arrays as they are, timestamps (tag 1, epoch seconds) as epoch
// seconds, byte strings as base64, numbers as JSON numbers. An empty
// body is {}. A body that is not one CBOR data item, or holds what JSON
// cannot (other tags, non-finite numbers are passed as strings for the
// validator to refuse) is an error.
func cborToJSON(body []byte) ([]byte, error) {
	if len(body) == 0 {
		return []byte("{}"), nil
	}
	var v any
	if err := cborDec.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("decode CBOR: %w", err)
	}
	j, err := jsonValue(v)
	if err != nil {
		return nil, err
	}
	if _, ok := j.(map[string]any); !ok {
		return nil, fmt.Errorf("decode CBOR: the top level must be a map")
	}
	return json.Marshal(j)
}

// jsonValue converts a decoded CBOR value to its JSON form.
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			j, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = j
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			j, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	case uint64:
		return json.Number(strconv.FormatUint(x, 10)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case big.Int:
		return json.Number(x.String()), nil
	case *big.Int:
		return json.Number(x.String()), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64), nil // the validator refuses it by name
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case time.Time:
		ms := x.UnixMilli()
		return json.Number(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
	default:
		return nil, fmt.Errorf("decode CBOR: a %T (a tag or simple value) has no place in a request", v)
	}
}
