import { StrictMode, useEffect, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClientProvider } from "@tanstack/react-query";
import { makeQueryClient } from "./api/queries";
import { App } from "./app/App";
import { applyStoredTheme } from "./app/theme";
import "./app/styles.css";
import { platform } from "./platform";

const scriptStart = performance.now();
applyStoredTheme();
const queryClient = makeQueryClient();

/** Tells the platform when the first frame of the mounted app was painted. */
function ReportFirstPaint({ children }: { children: ReactNode }) {
  useEffect(() => {
    // Effects run after the first commit (children's first); a frame callback runs just before
    // the browser paints that frame, and a task queued from it runs after.
    requestAnimationFrame(() =>
      setTimeout(() => {
        const paintedAt = performance.now();
        void platform().then((p) => p.painted(scriptStart, paintedAt));
      }),
    );
  }, []);
  return children;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ReportFirstPaint>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </ReportFirstPaint>
  </StrictMode>,
);

