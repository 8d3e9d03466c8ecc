package state

import (
	"context"
	"reflect"
	"testing"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/store"
)

func TestLBConfigHTTPS(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	web := elbARNs.ELBLoadBalancer("web", "w1")
	known, unknown := "arn:aws:acm:us-east-1:000000000000:certificate/www", "arn:aws:acm:us-east-1:000000000000:certificate/gone"
	fixed := []elbv2.Action{{Type: elbv2.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbv2.FixedResponseActionConfig{StatusCode: "200"}}}
	listeners := []*Listener{
		{ID: "l1", Listener: elbv2.Listener{ListenerArn: elbARNs.ELBListener("web", "w1", "l1"), LoadBalancerArn: web, Port: elbv2.Int32(443),
			Protocol: elbv2.ProtocolEnumHttps, Certificates: []elbv2.Certificate{{CertificateArn: known}}, DefaultActions: fixed}},
		{ID: "l2", Listener: elbv2.Listener{ListenerArn: elbARNs.ELBListener("web", "w1", "l2"), LoadBalancerArn: web, Port: elbv2.Int32(444),
			Protocol: elbv2.ProtocolEnumHttps, Certificates: []elbv2.Certificate{{CertificateArn: unknown}}, SslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
			DefaultActions: fixed}},
		{ID: "l3", Listener: elbv2.Listener{ListenerArn: elbARNs.ELBListener("web", "w1", "l3"), LoadBalancerArn: web, Port: elbv2.Int32(80),
			Protocol: elbv2.ProtocolEnumHttp, DefaultActions: fixed}},
	}
	err := st.Update(ctx, func(stx store.Tx) error {
		tx := Tx{Tx: stx}
		if err := tx.PutLoadBalancer(&LoadBalancer{ID: "w1", LoadBalancer: elbv2.LoadBalancer{LoadBalancerArn: web, LoadBalancerName: "web"}}); err != nil {
			return err
		}
		for _, l := range listeners {
			if err := tx.PutListener(l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files := func(arn string) (string, string, bool) {
		if arn == known {
			return "/etc/tls/www.crt", "/etc/tls/www.key", true
		}
		return "", "", false
	}
	var cfg lb.Config
	if err := st.View(ctx, func(tx store.Tx) (err error) {
		cfg, err = Tx{Tx: tx}.LBConfig("127.0.0.1", 1, files)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]*lb.ListenerTLS{
		"127.0.0.1:443": {CertificateARN: known, CertFile: "/etc/tls/www.crt", KeyFile: "/etc/tls/www.key", SSLPolicy: lb.DefaultSSLPolicy},
		"127.0.0.1:444": {CertificateARN: unknown, SSLPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06"},
		"127.0.0.1:80":  nil,
	}
	if len(cfg.Listeners) != len(want) {
		t.Fatalf("%d listeners, want %d", len(cfg.Listeners), len(want))
	}
	for _, l := range cfg.Listeners {
		if !reflect.DeepEqual(l.TLS, want[l.Address]) {
			t.Errorf("listener %s: TLS %+v, want %+v", l.Address, l.TLS, want[l.Address])
		}
		if wantProto := map[bool]string{true: "HTTPS", false: "HTTP"}[want[l.Address] != nil]; l.Protocol != wantProto {
			t.Errorf("listener %s: protocol %s, want %s", l.Address, l.Protocol, wantProto)
		}
	}
}
