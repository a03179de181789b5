package provider

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

type sentinelKey struct{}

// sentinel is put into each RPC's context; its finalizer counts the ones the
// garbage collector could free.
type sentinel struct{ _ [64]byte }

// TestProtocol6ServerReleasesContexts: once a per-resource RPC returns,
// nothing the server keeps refers to its context. The framework keeps a
// cancel function of every RPC's context until StopProvider (see
// releasingServer): without the release, no sentinel is ever freed.
func TestProtocol6ServerReleasesContexts(t *testing.T) {
	const unknown = "pbx_no_such_type" // every RPC registers its context first
	rpcs := []struct {
		name string
		call func(context.Context, tfprotov6.ProviderServer) error
	}{
		{"ValidateResourceConfig", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: unknown})
			return err
		}},
		{"UpgradeResourceState", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.UpgradeResourceState(ctx, &tfprotov6.UpgradeResourceStateRequest{TypeName: unknown})
			return err
		}},
		{"UpgradeResourceIdentity", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.UpgradeResourceIdentity(ctx, &tfprotov6.UpgradeResourceIdentityRequest{TypeName: unknown})
			return err
		}},
		{"ReadResource", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: unknown})
			return err
		}},
		{"PlanResourceChange", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: unknown})
			return err
		}},
		{"ApplyResourceChange", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: unknown})
			return err
		}},
		{"ImportResourceState", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: unknown})
			return err
		}},
		{"MoveResourceState", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.MoveResourceState(ctx, &tfprotov6.MoveResourceStateRequest{TargetTypeName: unknown})
			return err
		}},
		{"ValidateDataResourceConfig", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: unknown})
			return err
		}},
		{"ReadDataSource", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: unknown})
			return err
		}},
		{"ValidateEphemeralResourceConfig", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.ValidateEphemeralResourceConfig(ctx, &tfprotov6.ValidateEphemeralResourceConfigRequest{TypeName: unknown})
			return err
		}},
		{"OpenEphemeralResource", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: unknown})
			return err
		}},
		{"RenewEphemeralResource", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.RenewEphemeralResource(ctx, &tfprotov6.RenewEphemeralResourceRequest{TypeName: unknown})
			return err
		}},
		{"CloseEphemeralResource", func(ctx context.Context, s tfprotov6.ProviderServer) error {
			_, err := s.CloseEphemeralResource(ctx, &tfprotov6.CloseEphemeralResourceRequest{TypeName: unknown})
			return err
		}},
	}
	for _, rpc := range rpcs {
		t.Run(rpc.name, func(t *testing.T) {
			server := NewProtocol6Server("test")()
			const calls = 20
			var freed atomic.Int64
			for range calls {
				s := &sentinel{}
				runtime.SetFinalizer(s, func(*sentinel) { freed.Add(1) })
				if err := rpc.call(context.WithValue(context.Background(), sentinelKey{}, s), server); err != nil {
					t.Fatalf("%s: %v", rpc.name, err)
				}
			}
			for i := 0; i < 100 && freed.Load() < calls; i++ {
				runtime.GC() // finalizers run after the collection, in their own goroutine
				time.Sleep(time.Millisecond)
			}
			if n := freed.Load(); n != calls {
				t.Errorf("%s: %d of %d contexts freed once the calls returned", rpc.name, n, calls)
			}
			runtime.KeepAlive(server)
		})
	}
}

// TestReleasableContext: the parent's behaviour until release; no values
// and canceled after it. A cancelable context derived from it is canceled
// with the parent.
func TestReleasableContext(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), sentinelKey{}, "v"), deadline)
	defer cancel()
	rc := newReleasableContext(parent)
	child, cancelChild := context.WithCancel(rc)
	defer cancelChild()

	if got := rc.Value(sentinelKey{}); got != "v" {
		t.Errorf("Value before release = %v, want the parent's", got)
	}
	if d, ok := rc.Deadline(); !ok || !d.Equal(deadline) {
		t.Errorf("Deadline before release = %v, %v, want the parent's", d, ok)
	}
	if rc.Done() != parent.Done() || rc.Err() != nil {
		t.Errorf("Done/Err before release are not the parent's: %v", rc.Err())
	}
	cancel()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a context derived from it was not canceled with the parent")
	}
	if !errors.Is(rc.Err(), context.Canceled) {
		t.Errorf("Err after the parent's cancel = %v", rc.Err())
	}

	rc.release()
	if got := rc.Value(sentinelKey{}); got != nil {
		t.Errorf("Value after release = %v, want nil", got)
	}
	if _, ok := rc.Deadline(); ok {
		t.Error("a deadline after release")
	}
	select {
	case <-rc.Done():
	default:
		t.Error("Done after release is not closed")
	}
	if !errors.Is(rc.Err(), context.Canceled) {
		t.Errorf("Err after release = %v, want context.Canceled", rc.Err())
	}
}
