// How every chart's tooltip reads: names and values in the body text colour, not the series colour
// (several series colours are under 4.5:1 contrast on white, which fails WCAG AA when the tooltip shows).
export const TOOLTIP_ITEM_STYLE = { color: "#334155" } as const; // slate-700
export const TOOLTIP_LABEL_STYLE = { color: "#0f172a" } as const; // slate-900
