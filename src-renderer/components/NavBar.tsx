import { SCREENS, type ScreenId } from '../screens/screen-list.js';

/** The sections of the window: a left column when wide, tabs across the top when narrow. */
export function NavBar({ current, onSelect }: { current: ScreenId; onSelect: (screen: ScreenId) => void }) {
  return (
    <nav className="nav" aria-label="Sections">
      <ul>
        {SCREENS.map((screen) => (
          <li key={screen.id}>
            <button
              type="button"
              className="nav-item"
              aria-current={screen.id === current ? 'page' : undefined}
              onClick={() => onSelect(screen.id)}
            >
              {screen.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
