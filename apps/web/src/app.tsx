import { Component, lazy, type ReactNode, Suspense, useState } from "react";
import { Navigate, NavLink, Route, Routes, useLocation } from "react-router";
import { Literal } from "./components/literal.js";
import { visibleText } from "./lib/invisible.js";
import { applyTheme, storedTheme, type Theme } from "./lib/theme.js";
import { SignIn } from "./pages/sign-in.js";
import { can, SessionProvider, useSessionContext } from "./session.js";

// Each page is its own chunk: the first load carries the shell only, and the engine
// (@celgate/core) is loaded by the playground alone.
const Overview = lazy(() => import("./pages/overview.js"));
const History = lazy(() => import("./pages/history.js"));
const Evaluation = lazy(() => import("./pages/evaluation.js"));
const Policies = lazy(() => import("./pages/policies.js"));
const PolicyPage = lazy(() => import("./pages/policy.js"));
const PolicyEdit = lazy(() => import("./pages/policy-edit.js"));
const Replay = lazy(() => import("./pages/replay.js"));
const Playground = lazy(() => import("./pages/playground.js"));
const Images = lazy(() => import("./pages/images.js"));
const Exceptions = lazy(() => import("./pages/exceptions.js"));
const Findings = lazy(() => import("./pages/findings.js"));
const Inventory = lazy(() => import("./pages/inventory.js"));
const Tokens = lazy(() => import("./pages/tokens.js"));
const Audit = lazy(() => import("./pages/audit.js"));

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  return (
    <label className="theme">
      Theme{" "}
      <select
        value={theme}
        onChange={(e) => {
          const t = e.target.value as Theme;
          applyTheme(t);
          setTheme(t);
        }}
      >
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

function Shell() {
  const { session, signOut } = useSessionContext();
  const location = useLocation();
  // The playground needs no service and no token: it evaluates in this page.
  const open = location.pathname === "/playground";
  const links: [string, string, boolean][] = session
    ? [
        ["/", "Overview", true],
        ["/history", "History", true],
        ["/policies", "Policies", true],
        ["/replay", "Replay", can(session, "author")],
        ["/playground", "Playground", true],
        ["/images", "Images", true],
        ["/exceptions", "Exceptions", true],
        ["/findings", "Findings", true],
        ["/inventory", "Inventory", true],
        ["/tokens", "Tokens", can(session, "admin")],
        ["/audit", "Audit", can(session, "admin")],
      ]
    : [["/playground", "Playground", true]];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">celgate</span>
        <nav aria-label="Main">
          <ul>
            {links
              .filter(([, , shown]) => shown)
              .map(([to, label]) => (
                <li key={to}>
                  <NavLink to={to} end={to === "/"}>
                    {label}
                  </NavLink>
                </li>
              ))}
          </ul>
        </nav>
        <div className="who">
          <ThemeSwitch />
          <a href="/docs">API reference</a>
          {session ? (
            <>
              <span className="role" title={`the role of your token (${visibleText(session.name)})`}>
                {session.role}
              </span>
              <button type="button" onClick={() => signOut()}>
                Sign out
              </button>
            </>
          ) : null}
        </div>
      </header>
      <main id="main">
        {/* keyed by the path: moving to another page clears a failure shown for this one */}
        <PageBoundary key={location.pathname}>
          <Suspense
            fallback={
              <p className="muted" role="status">
                Loading…
              </p>
            }
          >
            {!session && !open ? (
              <SignIn />
            ) : (
              <Routes>
                <Route path="/playground" element={<Playground />} />
                {session ? (
                  <>
                    <Route path="/" element={<Overview />} />
                    <Route path="/history" element={<History />} />
                    <Route path="/evaluations/:id" element={<Evaluation />} />
                    <Route path="/policies" element={<Policies />} />
                    <Route path="/policies/new" element={<PolicyEdit />} />
                    <Route path="/policies/:name" element={<PolicyPage />} />
                    <Route path="/policies/:name/edit" element={<PolicyEdit />} />
                    <Route path="/replay" element={<Replay />} />
                    <Route path="/images" element={<Images />} />
                    <Route path="/exceptions" element={<Exceptions />} />
                    <Route path="/findings" element={<Findings />} />
                    <Route path="/inventory" element={<Inventory />} />
                    <Route path="/tokens" element={<Tokens />} />
                    <Route path="/audit" element={<Audit />} />
                  </>
                ) : null}
                <Route path="*" element={session ? <NotFound /> : <Navigate to="/" />} />
              </Routes>
            )}
          </Suspense>
        </PageBoundary>
      </main>
    </>
  );
}

/**
 * What a page that failed shows instead of a blank window: a page's code that did not load (the
 * network went away, or a new release replaced its chunk) or a page that threw while rendering.
 * The menu stays usable; reloading fetches the page's code again.
 */
class PageBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (error === null) return this.props.children;
    const message = error instanceof Error ? error.message : String(error);
    return (
      <section>
        <h1>This page could not be shown</h1>
        <div className="error" role="alert">
          {/dynamically imported module|importing a module script failed|Loading chunk/i.test(message)
            ? "The page's code could not be loaded from the service (the network, or a newer release of the console). "
            : "The page failed: "}
          <Literal text={message} />
        </div>
        <p>
          <button type="button" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </p>
      </section>
    );
  }
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>No page here. Choose one from the menu.</p>
    </section>
  );
}
