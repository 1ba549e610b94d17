import type { Child } from "hono/jsx";
import { ASSETS } from "./assets.ts";

/** What every page has around its content. */
export interface LayoutProps {
  readonly title: string;
  /** Which menu entry is this page's. */
  readonly section?: "catalog" | "publish" | "stats";
  /** Loads uPlot, for a page with a chart. */
  readonly chart?: boolean;
  readonly children?: Child;
}

const MENU = [
  { section: "catalog", href: "/", label: "Catalog" },
  { section: "publish", href: "/publish", label: "Publish" },
  { section: "stats", href: "/stats", label: "Stats" },
] as const;

/**
 * The page around every view: title, menu, style sheet, and the script
 * that enhances the page (deferred: the page is whole without it).
 *
 * @example
 * ```tsx
 * <Layout title="Catalog" section="catalog"><p>...</p></Layout>
 * ```
 */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · p2p tracker`}</title>
        <link rel="stylesheet" href={ASSETS.style.path} />
        {props.chart && <link rel="stylesheet" href={ASSETS.uplotStyle.path} />}
        {props.chart && <script src={ASSETS.uplotScript.path} defer></script>}
        <script src={ASSETS.script.path} defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">p2p tracker</a>
          <nav>
            {MENU.map((entry) => (
              <a
                href={entry.href}
                aria-current={entry.section === props.section ? "page" : undefined}
              >
                {entry.label}
              </a>
            ))}
          </nav>
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
