// A choice among a few (a view, a language) kept in the browser's storage, so it is the same
// after a reload and when the part of the page showing it is drawn again.
import { useState } from "react";

export function useStoredChoice<T extends string>(key: string, choices: readonly T[], fallback: T): [T, (v: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const kept = localStorage.getItem(key);
      return choices.find((c) => c === kept) ?? fallback;
    } catch {
      return fallback;
    }
  });
  const pick = (v: T) => {
    setValue(v);
    try {
      localStorage.setItem(key, v);
    } catch {
      // not kept: the fallback next time
    }
  };
  return [value, pick];
}
