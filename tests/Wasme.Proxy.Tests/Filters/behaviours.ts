// Test filters for the local data plane, built with the real AssemblyScript SDK (@solo-io/proxy-runtime 0.1.8).
// One module, one root context per behaviour; each test starts a plugin with the root id it needs.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context,
  Counter,
  FilterDataStatusValues,
  FilterHeadersStatusValues,
  GrpcStatusValues,
  HeaderPair,
  Headers,
  RootContext,
  continue_request,
  registerRootContext,
  send_local_response,
  stream_context,
} from "@solo-io/proxy-runtime";
import { BufferTypeValues, get_buffer_bytes, set_tick_period_milliseconds } from "@solo-io/proxy-runtime/runtime";

// The SDK does not wrap these host calls (or wraps them wrongly), so the filters declare them as any module may.
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(typ: u32, start: u32, length: u32, data: usize, size: usize): u32;
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(key: usize, key_size: usize, value: usize, value_size: usize, cas: u32): u32;
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(key: usize, key_size: usize, value_ptr: usize, value_size_ptr: usize, cas_ptr: usize): u32;

function replaceBuffer(typ: u32, length: usize, text: string): void {
  const data = String.UTF8.encode(text);
  proxy_set_buffer_bytes(typ, 0, <u32>length, changetype<usize>(data), data.byteLength);
}

function pair(key: string, value: string): HeaderPair {
  return new HeaderPair(String.UTF8.encode(key), String.UTF8.encode(value));
}

// deny: a local 403 when the request carries x-deny.
class DenyRoot extends RootContext {
  createContext(context_id: u32): Context { return new Deny(context_id, this); }
}
class Deny extends Context {
  constructor(context_id: u32, root: DenyRoot) { super(context_id, root); }
  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    if (stream_context.headers.request.get("x-deny") != "") {
      const headers: Headers = [];
      headers.push(pair("x-denied-by", "wasm"));
      send_local_response(403, "denied_by_wasm", String.UTF8.encode("forbidden by filter\n"), headers, GrpcStatusValues.Unknown);
      return FilterHeadersStatusValues.StopIteration;
    }
    return FilterHeadersStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new DenyRoot(id); }, "deny");

// body_rewrite: upper-cases the whole request body, and wraps the whole response body in brackets.
class BodyRewriteRoot extends RootContext {
  createContext(context_id: u32): Context { return new BodyRewrite(context_id, this); }
}
class BodyRewrite extends Context {
  constructor(context_id: u32, root: BodyRewriteRoot) { super(context_id, root); }
  onRequestBody(length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (!end_of_stream) {
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    const body = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpRequestBody, 0, <u32>length));
    replaceBuffer(BufferTypeValues.HttpRequestBody, length, body.toUpperCase());
    return FilterDataStatusValues.Continue;
  }
  onResponseBody(length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (!end_of_stream) {
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    const body = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpResponseBody, 0, <u32>length));
    replaceBuffer(BufferTypeValues.HttpResponseBody, length, "[" + body + "]");
    return FilterDataStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new BodyRewriteRoot(id); }, "body_rewrite");

// http_call: asks the "auth" cluster for a token, then forwards the request with it as x-token.
class HttpCallRoot extends RootContext {
  createContext(context_id: u32): Context { return new HttpCall(context_id, this); }
}
class HttpCall extends Context {
  constructor(context_id: u32, root: HttpCallRoot) { super(context_id, root); }
  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const headers: Headers = [];
    headers.push(pair(":method", "GET"));
    headers.push(pair(":path", "/token"));
    headers.push(pair(":authority", "auth"));
    this.root_context.httpCall("auth", headers, new ArrayBuffer(0), [], 5000, this,
      (origin: Context, header_count: u32, body_size: usize, trailer_count: u32): void => {
        if (header_count == 0) {
          send_local_response(503, "auth_unavailable", String.UTF8.encode("auth call failed\n"), [], GrpcStatusValues.Unknown);
          return;
        }
        const token = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpCallResponseBody, 0, <u32>body_size));
        stream_context.headers.request.add("x-token", token);
        continue_request();
      });
    return FilterHeadersStatusValues.StopIteration;
  }
}
registerRootContext((id: u32) => { return new HttpCallRoot(id); }, "http_call");

// metric: counts requests in the counter "requests_seen".
class MetricRoot extends RootContext {
  requests: Counter = new Counter("requests_seen");
  createContext(context_id: u32): Context { return new Metric(context_id, this); }
}
class Metric extends Context {
  counter: Counter;
  constructor(context_id: u32, root: MetricRoot) { super(context_id, root); this.counter = root.requests; }
  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    this.counter.increment(1);
    return FilterHeadersStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new MetricRoot(id); }, "metric");

// tick: counts timer ticks (every 100 ms) and reports the count in x-ticks.
let ticks: u32 = 0;
class TickRoot extends RootContext {
  onStart(vm_configuration_size: usize): bool {
    set_tick_period_milliseconds(100);
    return true;
  }
  onTick(): void { ticks += 1; }
  createContext(context_id: u32): Context { return new Tick(context_id, this); }
}
class Tick extends Context {
  constructor(context_id: u32, root: TickRoot) { super(context_id, root); }
  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-ticks", ticks.toString());
    return FilterHeadersStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new TickRoot(id); }, "tick");

// shared_writer / shared_reader: two plugins (two VMs) sharing the last request path through shared data.
class SharedWriterRoot extends RootContext {
  createContext(context_id: u32): Context { return new SharedWriter(context_id, this); }
}
class SharedWriter extends Context {
  constructor(context_id: u32, root: SharedWriterRoot) { super(context_id, root); }
  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const key = String.UTF8.encode("last_path");
    const value = String.UTF8.encode(stream_context.headers.request.get(":path"));
    proxy_set_shared_data(changetype<usize>(key), key.byteLength, changetype<usize>(value), value.byteLength, 0);
    return FilterHeadersStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new SharedWriterRoot(id); }, "shared_writer");

class SharedReaderRoot extends RootContext {
  createContext(context_id: u32): Context { return new SharedReader(context_id, this); }
}
class SharedReader extends Context {
  constructor(context_id: u32, root: SharedReaderRoot) { super(context_id, root); }
  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const key = String.UTF8.encode("last_path");
    const out = new ArrayBuffer(12);
    const base = changetype<usize>(out);
    const status = proxy_get_shared_data(changetype<usize>(key), key.byteLength, base, base + 4, base + 8);
    const value = status == 0 ? String.UTF8.decodeUnsafe(<usize>load<u32>(base), <usize>load<u32>(base, 4)) : "(none)";
    stream_context.headers.response.add("x-shared", value);
    return FilterHeadersStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new SharedReaderRoot(id); }, "shared_reader");
