"""Page images in, words with boxes and confidences out.

Rasterizing (pdf2image / Pillow), cleaning (OpenCV) and recognition (Tesseract).
Knows nothing of the catalog: every function here takes images or paths and
returns values.
"""
