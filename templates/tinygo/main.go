// Adds `hello: <plugin configuration>` to every response (`hello: world` without configuration).
package main

import (
	"errors"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// rootID must match runtime-config.json. The Go SDK serves every root id, so the filter checks it itself.
const (
	rootID       = "add_header"
	headerName   = "hello"
	defaultValue = "world"
)

func main() {
	proxywasm.SetVMContext(&vmContext{})
}

type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(contextID uint32) types.PluginContext {
	return &pluginContext{value: defaultValue}
}

type pluginContext struct {
	types.DefaultPluginContext
	value string
}

func (p *pluginContext) OnPluginStart(pluginConfigurationSize int) types.OnPluginStartStatus {
	if id, err := proxywasm.GetProperty([]string{"plugin_root_id"}); err == nil && string(id) != rootID {
		proxywasm.LogWarnf("configured with root id %q, but this filter is %s", string(id), rootID)
	}

	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCriticalf("cannot read plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if len(data) > 0 {
		p.value = string(data)
	}

	proxywasm.LogInfof("%s: adding response header %s: %s", rootID, headerName, p.value)
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	return &httpContext{value: p.value}
}

type httpContext struct {
	types.DefaultHttpContext
	value string
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if err := proxywasm.AddHttpResponseHeader(headerName, h.value); err != nil {
		proxywasm.LogErrorf("cannot add response header: %v", err)
	}
	return types.ActionContinue
}
