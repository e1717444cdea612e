import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { isLanguage, type Language } from '../format/format';
import en from './en.json';
import vi from './vi.json';

const STORAGE_KEY = 'ioc.console.language';

function storedLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  return isLanguage(stored) ? stored : 'vi';
}

/** The language on screen; components using it re-render when it changes. */
export function useLanguage(): Language {
  const { i18n } = useTranslation();
  return isLanguage(i18n.language) ? i18n.language : 'vi';
}

export async function setLanguage(language: Language): Promise<void> {
  localStorage.setItem(STORAGE_KEY, language);
  await i18next.changeLanguage(language);
}

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = language;
  document.title = i18next.t('app.title');
});

export const i18nReady = i18next.use(initReactI18next).init({
  resources: { vi: { translation: vi }, en: { translation: en } },
  lng: storedLanguage(),
  fallbackLng: 'vi',
  interpolation: { escapeValue: false },
  initAsync: false,
});
