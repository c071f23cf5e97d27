//! HTML for the hosted pages: one accessible, responsive layout themed per tenant, and the
//! few components the forms need. Every interpolated value goes through [`escape`].

use fluent_bundle::FluentArgs;
use intelliauth_core::contrast;
use intelliauth_core::model::Tenant;

use crate::i18n::{self, t};

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2933;background:#f5f7fa}
main{max-width:26rem;margin:6vh auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
header{text-align:center;margin-bottom:1.5rem}header img{max-height:3rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;padding:.6rem .75rem;font:inherit;border:1px solid #9aa5b1;border-radius:.4rem}
input:focus,button:focus,a:focus{outline:3px solid var(--primary);outline-offset:2px}
button{width:100%;margin-top:1.5rem;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:var(--primary);border:0;border-radius:.4rem;cursor:pointer}
button:disabled{opacity:.6;cursor:wait}
button.secondary{background:#52606d;margin-top:.75rem}
.alert{padding:.75rem 1rem;border-radius:.4rem;background:#fde8e8;color:#8a1c1c;margin-bottom:1rem}
.notice{padding:.75rem 1rem;border-radius:.4rem;background:#e3f8ee;color:#0b5a36;margin-bottom:1rem}
.field-error{color:#8a1c1c;font-size:.9rem;margin:.25rem 0 0}
nav{margin-top:1.5rem;display:flex;justify-content:space-between;flex-wrap:wrap;gap:.5rem;font-size:.95rem}
nav a,main>p>a{display:inline-block;min-height:24px;padding:.2rem 0}
a{color:var(--primary)}
code{overflow-wrap:anywhere}
@media (max-width:30rem){main{margin:0;border-radius:0;min-height:100vh}}
";

/// A whole page in the tenant's theme, in the request's language.
pub fn page(tenant: &Tenant, title: &str, body: &str) -> String {
    let locale = i18n::current();
    let theme = &tenant.settings.theme;
    let brand = escape(theme.name.as_deref().unwrap_or(&tenant.display_name));
    let logo = theme
        .logo_url
        .as_deref()
        .map(|url| format!("<img src=\"{}\" alt=\"{brand}\">", escape(url)))
        .unwrap_or_else(|| format!("<strong>{brand}</strong>"));
    format!(
        "<!doctype html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{head_title}</title>\
<style>:root{{--primary:{colour}}}{STYLE}</style></head>\
<body><main><header>{logo}</header><h1>{title}</h1>{body}</main></body></html>\n",
        lang = locale.tag(),
        dir = locale.direction(),
        head_title = escape(&page_title(title, &brand_plain(tenant), body.contains(ERROR_SUMMARY))),
        title = escape(title),
        colour = escape(&brand_colour(&theme.primary_colour)),
    )
}

/// The colour the page draws with: the tenant's, or — for one saved before its contrast
/// was checked — the same hue darkened until white text on it, and it on white, can be read.
fn brand_colour(saved: &str) -> String {
    match contrast::parse_hex(saved) {
        Some(rgb) => contrast::to_hex(contrast::accessible_on_white(rgb)),
        None => intelliauth_core::model::Theme::default().primary_colour,
    }
}

/// The brand a page names: the theme's name, else the tenant's.
fn brand_plain(tenant: &Tenant) -> String {
    tenant.settings.theme.name.clone().unwrap_or_else(|| tenant.display_name.clone())
}

/// The document title: the page's, then the brand; first of all "Error", when the page
/// shows one (its error summary), as that is what a screen reader says on arrival.
fn page_title(title: &str, brand: &str, failed: bool) -> String {
    let mut args = FluentArgs::new();
    args.set("title", title.to_owned());
    args.set("brand", brand.to_owned());
    let key = if failed { "page-error-title" } else { "page-title" };
    i18n::text_in(i18n::current(), key, Some(&args))
}

/// The id of a page's error summary, which fields in error point at.
pub const ERROR_SUMMARY: &str = "error-summary";

/// A page's one error summary, holding all of its error's text: announced by screen readers
/// as soon as it appears, and focused when the page loads, so a keyboard user lands on it
/// after a failed submit. `more` is HTML that belongs to the same error (when to try again).
pub fn alert_with(message: &str, code: &str, more: &str) -> String {
    format!(
        "<div class=\"alert\" role=\"alert\" id=\"{ERROR_SUMMARY}\" tabindex=\"-1\" autofocus data-code=\"{}\">\
         <p class=\"copy\">{}</p>{more}</div>",
        escape(code),
        escape(message)
    )
}

/// An error summary with the copy alone.
pub fn alert(message: &str, code: &str) -> String {
    alert_with(message, code, "")
}

pub fn notice(message: &str) -> String {
    format!("<div class=\"notice\" role=\"status\">{}</div>", escape(message))
}

pub fn hidden(name: &str, value: &str) -> String {
    format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value))
}

/// A labelled input with its field errors, wired for assistive technology.
pub fn input(name: &str, label: &str, kind: &str, value: &str, autocomplete: &str, errors: &[String]) -> String {
    labelled_input(name, label, kind, value, autocomplete, errors, false)
}

/// An input the page's error summary is about (the email and password of a refused
/// sign-in): invalid, and described by the summary.
pub fn input_in_error(name: &str, label: &str, kind: &str, value: &str, autocomplete: &str) -> String {
    labelled_input(name, label, kind, value, autocomplete, &[], true)
}

fn labelled_input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    errors: &[String],
    summarised: bool,
) -> String {
    let name = escape(name);
    let described = match (errors.is_empty(), summarised) {
        (false, _) => format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\""),
        (true, true) => format!(" aria-invalid=\"true\" aria-describedby=\"{ERROR_SUMMARY}\""),
        (true, false) => String::new(),
    };
    // One element per field, so its id is unique, whatever the number of problems.
    let messages = if errors.is_empty() {
        String::new()
    } else {
        let all: Vec<String> = errors.iter().map(|error| escape(error)).collect();
        format!("<p class=\"field-error\" id=\"{name}-error\">{}</p>", all.join("<br>"))
    };
    // Codes are digits on a phone's keypad.
    let keypad = if autocomplete == "one-time-code" { " inputmode=\"numeric\" pattern=\"[0-9]*\"" } else { "" };
    format!(
        "<label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{value}\" \
         autocomplete=\"{autocomplete}\"{keypad} required{described}>{messages}",
        label = escape(label),
        value = escape(value),
    )
}

/// The proof-of-work captcha: the browser solves the puzzle with WebCrypto, fills the
/// hidden field, and only then enables the submit button.
pub fn proof_of_work(id: &str, nonce: &str, difficulty: u64, csp_nonce: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"captcha\" id=\"captcha\" value=\"\">\
<p id=\"captcha-status\" role=\"status\">{checking}</p>\
<script nonce=\"{csp_nonce}\">addEventListener('DOMContentLoaded',async()=>{{const id={id},nonce={nonce},bits={difficulty};\
const button=document.querySelector('button[type=submit]');button.disabled=true;\
const enc=new TextEncoder();for(let n=0;;n++){{\
const h=new Uint8Array(await crypto.subtle.digest('SHA-256',enc.encode(nonce+':'+n)));\
let z=0;for(const b of h){{if(b===0){{z+=8;continue}}z+=Math.clz32(b)-24;break}}\
if(z>=bits){{document.getElementById('captcha').value=id+':'+n;break}}}}\
document.getElementById('captcha-status').textContent={done};button.disabled=false;}});</script>",
        checking = escape(&t("captcha-checking")),
        done = serde_json::to_string(&t("captcha-done")).unwrap_or_default(),
        id = serde_json::to_string(id).unwrap_or_default(),
        nonce = serde_json::to_string(nonce).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_saved_before_the_contrast_check_is_drawn_readable() {
        for saved in ["#ffeb3b", "#ffffff", "#fff"] {
            let drawn = contrast::parse_hex(&brand_colour(saved)).unwrap();
            assert!(contrast::on_white(drawn) >= contrast::MIN_ON_WHITE, "{saved} is drawn as {}", brand_colour(saved));
        }
        assert_eq!(brand_colour("#0b6b3a"), "#0b6b3a", "a readable colour is drawn as saved");
        assert_eq!(brand_colour("not a colour"), "#3b5bdb");
    }
}
