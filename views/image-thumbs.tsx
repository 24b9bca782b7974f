import { type ImageRef, imageAlt } from '../src/images/image-data.ts'

/**
 * Thumbnails of a run's images, served by GET /images/:sha256 (same origin; never a remote image). Each links to
 * the full image. `small` for history rows.
 */
export function ImageThumbs(props: { images: ReadonlyArray<ImageRef> | undefined; small?: boolean }) {
  if (!props.images?.length) return null
  return (
    <ul class={`thumbs${props.small ? ' thumbs-small' : ''}`} aria-label="Attached images">
      {props.images.map((img, i) => (
        <li>
          <a href={`/images/${img.sha256}`} target="_blank" rel="noopener">
            <img src={`/images/${img.sha256}`} alt={imageAlt(i + 1, img)} loading="lazy" decoding="async" />
          </a>
        </li>
      ))}
    </ul>
  )
}
