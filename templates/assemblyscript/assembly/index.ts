// Exports the Proxy-Wasm entry points (proxy_on_*, proxy_abi_version_0_2_0) the host calls.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context,
  FilterHeadersStatusValues,
  registerRootContext,
  RootContext,
  stream_context,
} from "@solo-io/proxy-runtime";

const HEADER_NAME = "hello";
const DEFAULT_VALUE = "world";

class AddHeaderRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new AddHeader(context_id, this);
  }
}

// Adds `hello: <plugin configuration>` to every response (`hello: world` without configuration).
class AddHeader extends Context {
  constructor(context_id: u32, root_context: AddHeaderRoot) {
    super(context_id, root_context);
  }

  onResponseHeaders(header_count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    // Keep the if/else: asc 0.14 miscounts references in `a ? CONSTANT : local` (it releases the
    // local twice), which frees the configuration string after the first request.
    const configured = this.root_context.getConfiguration();
    if (configured == "") {
      stream_context.headers.response.add(HEADER_NAME, DEFAULT_VALUE);
    } else {
      stream_context.headers.response.add(HEADER_NAME, configured);
    }
    return FilterHeadersStatusValues.Continue;
  }
}

// The root id must match runtime-config.json and the deployment's rootID.
registerRootContext((context_id: u32) => {
  return new AddHeaderRoot(context_id);
}, "add_header");
