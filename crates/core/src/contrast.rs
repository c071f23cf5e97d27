//! WCAG 2.1 contrast, for a tenant's brand colour: the hosted pages draw the sign-in
//! button's white text on it, and links and the focus ring in it on white, so it must stand
//! apart from white by 4.5:1 (text; the focus ring needs 3:1, which that covers).

/// The least contrast with white a brand colour needs (WCAG 2.1 SC 1.4.3, normal text).
pub const MIN_ON_WHITE: f64 = 4.5;

/// An sRGB colour written `#rrggbb` or `#rgb`.
pub fn parse_hex(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |digits: &str| u8::from_str_radix(digits, 16).ok();
    match hex.len() {
        6 => Some([channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?]),
        3 => {
            let short = |i: usize| channel(&hex[i..=i]).map(|v| v * 17);
            Some([short(0)?, short(1)?, short(2)?])
        }
        _ => None,
    }
}

pub fn to_hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Relative luminance (WCAG 2.1's definition, from linearised sRGB).
pub fn luminance(colour: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(colour[0]) + 0.7152 * linear(colour[1]) + 0.0722 * linear(colour[2])
}

/// The contrast ratio of two colours, from 1 (the same) to 21 (black on white).
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The colour's contrast with white.
pub fn on_white(colour: [u8; 3]) -> f64 {
    contrast(colour, [255, 255, 255])
}

/// `ratio` as people read it, never rounded up past a threshold: 4.497 is "4.49".
pub fn shown(ratio: f64) -> String {
    format!("{:.2}", (ratio * 100.0).floor() / 100.0)
}

/// The colour if it stands apart from white enough, else the same hue darkened just enough
/// (each channel scaled towards black): what a page draws for a colour saved before the
/// check, and what the check suggests.
pub fn accessible_on_white(colour: [u8; 3]) -> [u8; 3] {
    if on_white(colour) >= MIN_ON_WHITE {
        return colour;
    }
    // Contrast grows as the scale falls; find the largest scale that meets the minimum.
    let scaled = |scale: f64| colour.map(|c| (f64::from(c) * scale).floor() as u8);
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..20 {
        let middle = (low + high) / 2.0;
        if on_white(scaled(middle)) >= MIN_ON_WHITE {
            low = middle;
        } else {
            high = middle;
        }
    }
    scaled(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_match_wcags_reference_values() {
        assert_eq!(shown(contrast([0, 0, 0], [255, 255, 255])), "21.00");
        assert_eq!(shown(on_white([255, 255, 255])), "1.00");
        // The examples: yellow is unusable, the default blue is fine.
        assert_eq!(shown(on_white(parse_hex("#ffeb3b").unwrap())), "1.22");
        assert!(on_white(parse_hex("#3b5bdb").unwrap()) >= MIN_ON_WHITE);
        assert_eq!(shown(on_white(parse_hex("#767676").unwrap())), "4.54", "the lightest grey that passes");
        assert!(on_white(parse_hex("#777777").unwrap()) < MIN_ON_WHITE);
        assert_eq!(shown(4.4999), "4.49", "never rounded up past the line");
    }

    #[test]
    fn hex_colours_parse_long_and_short() {
        assert_eq!(parse_hex("#0b6b3a"), Some([0x0b, 0x6b, 0x3a]));
        assert_eq!(parse_hex("#fff"), Some([255, 255, 255]));
        assert_eq!(parse_hex("fff"), None);
        assert_eq!(parse_hex("#ggg"), None);
        assert_eq!(parse_hex("#12345"), None);
        assert_eq!(to_hex([11, 107, 58]), "#0b6b3a");
    }

    #[test]
    fn a_pale_colour_is_darkened_just_enough_and_a_good_one_is_kept() {
        for pale in ["#ffeb3b", "#ffffff", "#8fd3ff", "#ff9800"] {
            let colour = parse_hex(pale).unwrap();
            let shade = accessible_on_white(colour);
            assert!(on_white(shade) >= MIN_ON_WHITE, "{pale} → {}", to_hex(shade));
            assert!(on_white(shade) < MIN_ON_WHITE + 0.3, "{pale} → {}: no darker than needed", to_hex(shade));
        }
        assert_eq!(accessible_on_white([0x3b, 0x5b, 0xdb]), [0x3b, 0x5b, 0xdb]);
    }
}
