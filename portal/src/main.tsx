import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, browserRouter } from "./App";
import { createQueryClient } from "./api/queryClient";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App queryClient={createQueryClient()} router={browserRouter()} />
  </StrictMode>,
);
