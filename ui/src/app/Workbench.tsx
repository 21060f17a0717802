// The workbench screen: provider settings on top, the editors (schema, prompt) and the run
// side by side in resizable panes that remember their sizes (stacked on narrow windows).
import { Group, Panel, Separator, useDefaultLayout } from "react-resizable-panels";
import { ProviderBar } from "../features/provider/ProviderBar";
import { SchemaPanel } from "../features/schema/SchemaPanel";
import { PromptPanel } from "../features/prompt/PromptPanel";
import { RunView } from "../features/run/RunView";
import { useNarrow } from "./useNarrow";

export function Workbench() {
  const narrow = useNarrow();
  const work = useDefaultLayout({ id: narrow ? "quarry-work-stacked" : "quarry-work", storage: localStorage });
  const editors = useDefaultLayout({ id: "quarry-editors", storage: localStorage });
  return (
    <div className="workbench">
      <ProviderBar />
      <Group key={narrow ? "v" : "h"} orientation={narrow ? "vertical" : "horizontal"} className="work-group" defaultLayout={work.defaultLayout} onLayoutChanged={work.onLayoutChanged}>
        <Panel id="editors" defaultSize="50%" minSize="20%">
          <Group orientation="vertical" className="editors-group" defaultLayout={editors.defaultLayout} onLayoutChanged={editors.onLayoutChanged}>
            <Panel id="schema" defaultSize="45%" minSize="15%" className="scroll-panel">
              <SchemaPanel />
            </Panel>
            <Separator className="separator horizontal-sep" aria-label="Resize the schema and the prompt" />
            <Panel id="prompt" defaultSize="55%" minSize="15%" className="scroll-panel">
              <PromptPanel />
            </Panel>
          </Group>
        </Panel>
        <Separator className={`separator ${narrow ? "horizontal-sep" : "vertical-sep"}`} aria-label="Resize the editors and the run" />
        <Panel id="run" defaultSize="50%" minSize="20%" className="scroll-panel run-panel">
          <RunView />
        </Panel>
      </Group>
    </div>
  );
}
