package audit

import (
	"context"
	"net/http/httptest"
	"testing"
)

func TestFromRequest(t *testing.T) {
	cases := []struct {
		auth string
		want Actor
	}{
		{"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00",
			Actor{Kind: KindAccessKey, ID: "AKIDEXAMPLE", Address: "192.0.2.1"}},
		{"", Actor{Kind: KindAnonymous, Address: "192.0.2.1"}},
		{"Bearer x", Actor{Kind: KindAnonymous, Address: "192.0.2.1"}},
		{"AWS4-HMAC-SHA256 Credential=/x", Actor{Kind: KindAnonymous, Address: "192.0.2.1"}},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", c.auth)
		if got := FromRequest(r); got != c.want {
			t.Errorf("FromRequest(%q) = %+v, want %+v", c.auth, got, c.want)
		}
	}
}

func TestActorContextAndString(t *testing.T) {
	if got := ActorFrom(context.Background()); got.Kind != KindAnonymous {
		t.Errorf("no actor: %+v", got)
	}
	a := Actor{Kind: KindSlack, ID: "U1", Name: "alice"}
	if got := ActorFrom(WithActor(context.Background(), a)); got != a {
		t.Errorf("ActorFrom = %+v", got)
	}
	for a, want := range map[Actor]string{
		{Kind: KindSlack, ID: "U1", Name: "alice"}: "alice (slack U1)",
		{Kind: KindAccessKey, ID: "AKID"}:          "accessKey AKID",
		{Kind: KindAnonymous}:                      "anonymous",
	} {
		if got := a.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", a, got, want)
		}
	}
}
