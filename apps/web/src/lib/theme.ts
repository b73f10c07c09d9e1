/** Light, dark, or the system's choice (default); kept in localStorage, it holds no secret. */
export type Theme = "light" | "dark" | "system";
const KEY = "celgate.theme";

export function storedTheme(): Theme {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function applyTheme(theme: Theme): void {
  if (theme === "system") {
    localStorage.removeItem(KEY);
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem(KEY, theme);
    document.documentElement.dataset.theme = theme;
  }
}

export function applyStoredTheme(): void {
  applyTheme(storedTheme());
}
