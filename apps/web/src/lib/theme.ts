/** Light, dark, or the system's choice (default); kept in localStorage, it holds no secret. */
export type Theme = "light" | "dark" | "system";
const KEY = "celgate.theme";

export function storedTheme(): Theme {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

const systemDark = () => matchMedia("(prefers-color-scheme: dark)");

/**
 * Sets `data-theme` on the root to the palette in force, resolving "system" to the system's
 * scheme, so the stylesheet describes each palette once (`:root[data-theme="dark"]`).
 */
function show(theme: Theme): void {
  document.documentElement.dataset.theme =
    theme === "system" ? (systemDark().matches ? "dark" : "light") : theme;
}

export function applyTheme(theme: Theme): void {
  if (theme === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, theme);
  show(theme);
}

/** Applies the stored choice at start, and follows the system's scheme while that is the choice. */
export function applyStoredTheme(): void {
  applyTheme(storedTheme());
  systemDark().addEventListener("change", () => {
    if (storedTheme() === "system") show("system");
  });
}
