//! Adds `hello: <plugin configuration>` to every response (`hello: world` without configuration).

use log::{info, warn};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

/// Must match runtime-config.json. The Rust SDK serves every root id, so the filter checks it itself.
const ROOT_ID: &str = "add_header";
const HEADER_NAME: &str = "hello";
const DEFAULT_VALUE: &str = "world";

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(AddHeaderRoot { value: DEFAULT_VALUE.to_string() })
    });
}}

struct AddHeaderRoot {
    value: String,
}

impl Context for AddHeaderRoot {}

impl RootContext for AddHeaderRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        if let Some(root_id) = self.get_property(vec!["plugin_root_id"]) {
            if root_id != ROOT_ID.as_bytes() {
                warn!("configured with root id {:?}, but this filter is {ROOT_ID}", String::from_utf8_lossy(&root_id));
            }
        }

        match self.get_plugin_configuration() {
            Some(bytes) if !bytes.is_empty() => match String::from_utf8(bytes) {
                Ok(value) => self.value = value,
                Err(_) => {
                    warn!("plugin configuration must be UTF-8 text");
                    return false;
                }
            },
            _ => self.value = DEFAULT_VALUE.to_string(),
        }

        info!("{ROOT_ID}: adding response header {HEADER_NAME}: {}", self.value);
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(AddHeader { value: self.value.clone() }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct AddHeader {
    value: String,
}

impl Context for AddHeader {}

impl HttpContext for AddHeader {
    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header(HEADER_NAME, &self.value);
        Action::Continue
    }
}
