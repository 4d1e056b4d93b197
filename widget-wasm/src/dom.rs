//! Browser helpers both bundles share: fields of JS objects and the document.

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use web_sys::Document;

/// `obj[key]`, or `undefined` when `obj` has no properties (null, undefined).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` when it is a string.
pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// The page's document, when there is one.
pub fn document() -> Option<Document> {
    web_sys::window()?.document()
}
