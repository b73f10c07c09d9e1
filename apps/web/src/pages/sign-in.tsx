import { type FormEvent, useState } from "react";
import { ErrorBox } from "../components/common.js";
import { useSessionContext } from "../session.js";

export function SignIn() {
  const { signIn, ended } = useSessionContext();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      {ended ? (
        <p className="notice" role="alert">
          {ended}
        </p>
      ) : null}
      <p>
        Paste an API token (<code>cg_…</code>). It is kept for this browser tab only and sent to this service
        alone.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      <p className="muted">
        Without a token you can still use the <a href="/playground">playground</a>, which evaluates in this
        page.
      </p>
    </section>
  );
}
