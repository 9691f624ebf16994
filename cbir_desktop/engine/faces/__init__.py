"""People in photos: faces found (dlib HOG), their 5 landmarks and 128-d descriptors, and their index."""
