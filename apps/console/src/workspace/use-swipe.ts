import { type PointerEvent, useRef } from 'react';

/** How far (px) a card must travel sideways to count as a swipe; shorter drags spring back. */
const THRESHOLD = 120;
const IGNORE = 'button, textarea, input, select, a, label';

/**
 * Swipe a card sideways with a finger, a pen or the mouse: right past the threshold calls onRight, left calls onLeft,
 * anything shorter (or mostly vertical: a scroll) springs back. The card follows the pointer while it moves. Drags
 * that start on a control (a button, the note) are not swipes, so clicking and typing work as usual.
 */
export function useSwipe(options: { onLeft: () => void; onRight: () => void; disabled: boolean }) {
  const start = useRef<{ x: number; y: number; id: number } | null>(null);
  const element = useRef<HTMLElement | null>(null);
  const reset = () => {
    start.current = null;
    if (element.current) {
      element.current.classList.remove('swiping');
      element.current.style.transform = '';
    }
  };
  return {
    onPointerDown(event: PointerEvent<HTMLElement>) {
      if (options.disabled || !event.isPrimary || (event.target as Element).closest(IGNORE)) return;
      element.current = event.currentTarget;
      start.current = { x: event.clientX, y: event.clientY, id: event.pointerId };
      event.currentTarget.setPointerCapture(event.pointerId);
      event.currentTarget.classList.add('swiping');
    },
    onPointerMove(event: PointerEvent<HTMLElement>) {
      const from = start.current;
      if (!from || from.id !== event.pointerId) return;
      const dx = event.clientX - from.x;
      event.currentTarget.style.transform = `translateX(${dx}px) rotate(${dx / 40}deg)`;
    },
    onPointerUp(event: PointerEvent<HTMLElement>) {
      const from = start.current;
      if (!from || from.id !== event.pointerId) return;
      const dx = event.clientX - from.x;
      const dy = event.clientY - from.y;
      reset();
      if (Math.abs(dx) < THRESHOLD || Math.abs(dy) > Math.abs(dx)) return;
      if (dx > 0) options.onRight();
      else options.onLeft();
    },
    onPointerCancel: reset,
  };
}
