// A place in the schema to select in the designer, asked for from outside it (a finding of the
// schema check). The designer is not drawn while another view is shown, so the request waits
// here until it is, and is taken once.
import { create } from "zustand";

export const useDesignerTarget = create<{ pointer: string | null }>(() => ({ pointer: null }));

/** Selects the row showing `pointer` (a JSON Pointer) the next time the designer is drawn. */
export const selectInDesigner = (pointer: string) => useDesignerTarget.setState({ pointer });

export const clearDesignerTarget = () => useDesignerTarget.setState({ pointer: null });
