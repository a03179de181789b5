package provider

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// releasingServer hands the framework's server each RPC's context through a
// releasableContext, released when the RPC returns.
//
// Why: the framework (v1.19, internal/proto6server/serve.go, registerContext)
// derives a cancelable context from every RPC's context and appends its
// cancel function to a slice that only StopProvider empties, so that
// StopProvider can cancel whatever is in flight. Terraform sends StopProvider
// only when a run is interrupted: every RPC's context, with the loggers and
// log fields terraform-plugin-go and terraform-plugin-log put into it (about
// 30 kB a resource), stayed reachable until the process ended. A plan of
// 5000 users kept 133 MB live by its last resources (design/memory.md).
//
// Through a releasableContext, what the framework keeps is its cancel
// function, its cancelCtx and an empty wrapper, about 200 bytes an RPC. The
// framework's StopProvider still cancels every context it registered while
// its RPC runs; so does terraform-plugin-go's own stop.
//
// The RPCs wrapped are the unary ones Terraform sends once per resource,
// data source or ephemeral resource. The streaming ones (ListResource) and
// the once-per-run ones keep the framework's behaviour.
type releasingServer struct {
	tfprotov6.ProviderServer
}

// ReleasingRPCContexts wraps a protocol server so that each per-resource
// RPC's context is released when the RPC returns (see releasingServer). The
// shipped server has it (NewProtocol6Server); the bench's floor uses it so
// that it is measured with the same plumbing.
func ReleasingRPCContexts(s tfprotov6.ProviderServer) tfprotov6.ProviderServer {
	return releasingServer{s}
}

// releasing calls call with a context that is released when call returns.
func releasing[Req, Resp any](ctx context.Context, req Req, call func(context.Context, Req) (Resp, error)) (Resp, error) {
	rc := newReleasableContext(ctx)
	defer rc.release()
	return call(rc, req)
}

func (s releasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ValidateResourceConfig)
}

func (s releasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return releasing(ctx, req, s.ProviderServer.UpgradeResourceState)
}

func (s releasingServer) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return releasing(ctx, req, s.ProviderServer.UpgradeResourceIdentity)
}

func (s releasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ReadResource)
}

func (s releasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return releasing(ctx, req, s.ProviderServer.PlanResourceChange)
}

func (s releasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ApplyResourceChange)
}

func (s releasingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ImportResourceState)
}

func (s releasingServer) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return releasing(ctx, req, s.ProviderServer.MoveResourceState)
}

func (s releasingServer) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return releasing(ctx, req, s.ProviderServer.GenerateResourceConfig)
}

func (s releasingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ValidateDataResourceConfig)
}

func (s releasingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ReadDataSource)
}

func (s releasingServer) ValidateEphemeralResourceConfig(ctx context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return releasing(ctx, req, s.ProviderServer.ValidateEphemeralResourceConfig)
}

func (s releasingServer) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return releasing(ctx, req, s.ProviderServer.OpenEphemeralResource)
}

func (s releasingServer) RenewEphemeralResource(ctx context.Context, req *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return releasing(ctx, req, s.ProviderServer.RenewEphemeralResource)
}

func (s releasingServer) CloseEphemeralResource(ctx context.Context, req *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return releasing(ctx, req, s.ProviderServer.CloseEphemeralResource)
}

// releasableContext is a context that behaves as its parent until release,
// and as an empty, canceled context after it: it no longer refers to the
// parent, so whatever still refers to it (or to a context derived from it)
// no longer keeps the parent's values alive.
//
// Until release, Done returns the parent's own channel, so a cancelable
// context derived from it joins the parent's cancelCtx (the context package
// finds it through Value) instead of starting a goroutine.
type releasableContext struct {
	parent atomic.Pointer[context.Context]
}

func newReleasableContext(parent context.Context) *releasableContext {
	c := &releasableContext{}
	c.parent.Store(&parent)
	return c
}

// release drops the parent. A context derived from c that outlives the
// call sees no values and is done.
func (c *releasableContext) release() { c.parent.Store(nil) }

// releasedDone is the Done channel of every released context.
var releasedDone = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

func (c *releasableContext) Deadline() (time.Time, bool) {
	if p := c.parent.Load(); p != nil {
		return (*p).Deadline()
	}
	return time.Time{}, false
}

func (c *releasableContext) Done() <-chan struct{} {
	if p := c.parent.Load(); p != nil {
		return (*p).Done()
	}
	return releasedDone
}

func (c *releasableContext) Err() error {
	if p := c.parent.Load(); p != nil {
		return (*p).Err()
	}
	return context.Canceled
}

func (c *releasableContext) Value(key any) any {
	if p := c.parent.Load(); p != nil {
		return (*p).Value(key)
	}
	return nil
}
