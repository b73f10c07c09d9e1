import { type ReactNode, useId, useLayoutEffect, useRef } from "react";
import { ErrorBox } from "./common.js";

export interface ConfirmProps {
  /** The question, the dialog's accessible name (a heading). */
  title: ReactNode;
  /** What confirming does; the dialog's description. */
  children: ReactNode;
  /** The confirming button's text. */
  confirm: string;
  /** The confirming button's text while `onConfirm`'s work runs. */
  busyText: string;
  busy: boolean;
  /** Why the last confirmation failed, shown in the dialog (the page behind it is inert). */
  error?: unknown;
  onConfirm(): void;
  /** Cancel, Escape, or the dialog closed by the browser: the owner unmounts the dialog. */
  onCancel(): void;
}

/**
 * A modal question before an action that cannot be undone: a native `<dialog>` opened with
 * showModal() when mounted (the page behind it inert), labelled by its title and described by its
 * text. The focus starts on Cancel, so Enter does not act by accident, and returns to what had it
 * when the dialog unmounts, if that is still on the page. Escape cancels.
 */
export function ConfirmDialog({
  title,
  children,
  confirm,
  busyText,
  busy,
  error,
  onConfirm,
  onCancel,
}: ConfirmProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  // a layout effect: its cleanup runs before React takes the dialog out of the document
  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    element.showModal();
    cancel.current?.focus();
    return () => {
      if (element.open) element.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      // Escape closes the dialog natively (a second Escape cannot be held back): a cancel
      onClose={(e) => {
        // A close event is queued, so it may come after React ran the effect again (it may
        // disconnect and reconnect layout effects): an open dialog's event is of a close already
        // undone, and one of a dialog this component let go of is not its own.
        if (dialog.current === e.currentTarget && !e.currentTarget.open) onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId}>{children}</div>
      {error ? <ErrorBox error={error} /> : null}
      <div className="buttons">
        <button type="button" ref={cancel} onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
          {busy ? busyText : confirm}
        </button>
      </div>
    </dialog>
  );
}
