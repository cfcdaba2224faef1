import { useEffect, type ReactNode } from "react";

/** Every page's frame: its level-1 heading and the document title. */
export function Page({ title, heading, actions, children }: {
  title: string;
  /** Defaults to the title. */
  heading?: ReactNode;
  /** Buttons beside the heading (e.g. `New service`). */
  actions?: ReactNode;
  children?: ReactNode;
}) {
  useDocumentTitle(title);
  return (
    <>
      <div className="page-heading">
        <h1>{heading ?? title}</h1>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}

export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Developer Platform`;
  }, [title]);
}
