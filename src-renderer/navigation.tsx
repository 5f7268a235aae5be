// Lets a screen send the volunteer to another (a "See all" link on the dashboard). App provides it.
import { createContext, useContext } from 'react';
import type { ScreenId } from './screens/screen-list.js';

export const NavigateContext = createContext<(screen: ScreenId) => void>(() => undefined);

export function useNavigate(): (screen: ScreenId) => void {
  return useContext(NavigateContext);
}
